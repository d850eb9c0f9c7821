"""The reference for `cargo bench -p chorus-local --bench generate`: SmolLM2-135M-Instruct from
the same GGUF file with Hugging Face transformers on PyTorch (CPU, weights dequantized to f32 as
transformers loads GGUF), the same prompt, greedy decoding.

    python3 bench/llm_reference.py MODEL_DIR [GENERATED_TOKENS]
"""

import statistics
import sys
import time
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

REPEATS = 5
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def main():
    folder = sys.argv[1]
    generated = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    prompt = (Path(__file__).parent / "llm_prompt.txt").read_text()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=FILE)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=FILE, torch_dtype=torch.float32)
    model.eval()
    text = (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
        f"<|im_end|>\n<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"
    )
    ids = tokenizer(text, return_tensors="pt").input_ids

    def run(max_new):
        started = time.perf_counter()
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=max_new, min_new_tokens=max_new, do_sample=False)
        return time.perf_counter() - started, out.shape[1] - ids.shape[1]

    run(4)
    prefill, decode = [], []
    for _ in range(REPEATS):
        first, _ = run(1)
        full, made = run(generated)
        prefill.append(ids.shape[1] / first)
        decode.append((made - 1) / (full - first))
    print(
        f"transformers {transformers.__version__} (PyTorch {torch.__version__}, {torch.get_num_threads()} threads): prompt "
        f"{ids.shape[1]} tokens, median of {REPEATS}: prefill {statistics.median(prefill):.0f} "
        f"tokens/s, generation {statistics.median(decode):.1f} tokens/s"
    )


if __name__ == "__main__":
    main()
