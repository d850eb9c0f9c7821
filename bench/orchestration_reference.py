"""The Python way to fan out chat calls (asyncio + the official openai client, as Kura and
OpenClio do), against the same fixed-latency test server as
`cargo bench -p chorus-pipeline --bench orchestration`.

    bench/orchestration_reference.sh        (starts the server, runs this, stops the server)
"""
import asyncio
import statistics
import sys
import time

from openai import AsyncOpenAI

LATENCY = 0.1
ROUNDS = 20


async def measure(base_url: str, concurrency: int, repeat: int) -> float:
    client = AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0)
    limit = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limit:
            await client.chat.completions.create(
                model="bench-model",
                messages=[{"role": "user", "content": f"run {repeat} request {i}"}],
                temperature=0.0,
                max_tokens=16,
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(concurrency * ROUNDS)))
    rate = concurrency * ROUNDS / (time.perf_counter() - started)
    await client.close()
    return rate


async def main() -> None:
    base_url = sys.argv[1]
    print(f"{'concurrency':>11} {'requests':>9} {'requests/s':>12} {'efficiency':>10}")
    for concurrency in (8, 32, 128):
        rates = [await measure(base_url, concurrency, repeat) for repeat in range(3)]
        rate = statistics.median(rates)
        print(f"{concurrency:>11} {concurrency * ROUNDS:>9} {rate:>12.1f} {rate / (concurrency / LATENCY):>10.3f}")


asyncio.run(main())
