"""The long run's driver (benchmarks/convergence.py): seeds per sequence index whatever the workers, one
tally merged over worker processes, failures counted in their column with the seed to re-run."""

from __future__ import annotations

from benchmarks.convergence import SequenceResult, Tally, failure_kind, run_all, sequence_seeds


def fake_sequence(job: tuple[int, int]) -> SequenceResult:
    """Stands in for a lifecycle: seeds divisible by 3 find duplicates, the rest converge."""
    seed, length = job
    if seed % 3 == 0:
        return SequenceResult(seed, length // 2, 0.0, "duplicates", "duplicates: {...}")
    return SequenceResult(seed, length, 0.0)


def nothing_to_prepare() -> None:
    """The real preparation patches botocore for the whole process: not in the test process."""


def test_sequence_seeds_depend_on_the_index_only() -> None:
    assert sequence_seeds(3, 5)[4] == 3_000_013  # the seed a README finding names
    assert sequence_seeds(10, 3) == [10_000_030, 10_000_031, 10_000_032]
    assert sequence_seeds(10, 1000)[:3] == sequence_seeds(10, 3)


def test_failures_are_counted_in_their_column() -> None:
    assert failure_kind("duplicates: {('1', 'r', 'n'): 2}") == "duplicates"
    assert failure_kind("invalid requests: [...]") == "invalid requests"
    assert failure_kind("token abc sent for two different requests") == "token reuses"
    assert failure_kind("after apply the plan still has changes: ...") == "non-converged"


def test_two_workers_merge_into_one_tally_with_every_seed() -> None:
    seeds = sequence_seeds(7, 12)
    tally = Tally()
    results = list(run_all(seeds, 8, workers=2, runner=fake_sequence, prepare=nothing_to_prepare))
    for result in results:
        tally.add(result)
    assert sorted(result.seed for result in results) == seeds
    failing = [seed for seed in seeds if seed % 3 == 0]
    assert tally.sequences == 12
    assert tally.transitions == 8 * (12 - len(failing)) + 4 * len(failing)
    assert tally.counts == {
        "non-converged": 0,
        "duplicates": len(failing),
        "invalid requests": 0,
        "token reuses": 0,
        "errors": 0,
    }
    assert sorted(tally.failures) == sorted(f"seed {seed}: duplicates: {{...}}" for seed in failing)
