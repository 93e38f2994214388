"""Qt desktop app."""
