"""Files -> pages -> chunks, and the indexing job that stores them."""
