"""Token ids for SmolLM2's tokenizer from Hugging Face transformers, which rebuilds the tokenizer
from the same GGUF file on its own (an independent implementation of the same metadata).

    pip install transformers==5.24.0 gguf==0.19.0 tokenizers==0.23.3  (the versions that made the file)
    python make_smollm_reference.py MODEL_DIR > smollm_tokens.json
"""

import json
import sys

from transformers import AutoTokenizer

SENTENCES = [
    "Hello world, it's 2026!",
    "  spaces\tand\nnewlines 12345",
    "Ünïcödé façade — 日本語のテキスト",
    "¿Dónde está la biblioteca? Je voudrais un café.",
    "Как дела? Всё хорошо.",
    "def main():\n    return {'a': [1, 2, 3]}",
    "email: jane.doe@example.com, phone +1 (555) 010-9999",
    "I'm sure they'll say we've done what you'd LIKE.",
    "🙂 emoji 👍🏽 and ZWJ 👩‍💻",
    "",
]

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1], gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
json.dump(
    [{"text": s, "ids": tokenizer.encode(s, add_special_tokens=False)} for s in SENTENCES],
    sys.stdout,
    ensure_ascii=False,
    indent=1,
)
