"""The calibration set: every case of docs/diagnosis.md's table, trained for real, gets its verdict.

The truth of each case comes from how we built it (`cases.py`) and from what
its training did: a healthy case reaches its floor score, a broken one scores
worse than its healthy twin. The verdict is then asserted against the table in
docs/diagnosis.md, row by row; a finding on a healthy network fails.
"""

import os

import pytest

from tests.calibration import cases as cases_lib
from tests.calibration import train as train_lib

pytest.importorskip("keras")
pytest.importorskip("sklearn")

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "diagnosis.md")
NO_FINDING = "-"


def table_rows():
    """{case: (truth, verdict, evidence fragment)} from the calibration table in docs/diagnosis.md."""
    text = open(DOCS, encoding="utf-8").read()
    section = text.split("<!-- calibration table -->")[1]
    rows = {}
    for line in section.strip().splitlines():
        if line.startswith("| case ") or line.startswith("| ---"):
            continue
        if not line.startswith("| `"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name, truth, verdict, evidence = cells[0].strip("`"), cells[2], cells[4], cells[5]
        rows[name] = (truth, verdict, evidence.strip("`") if evidence != NO_FINDING else NO_FINDING)
    return rows


ROWS = table_rows()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Trains every case once; returns (scores, diagnoses)."""
    logdir = str(tmp_path_factory.mktemp("calibration"))
    scores = train_lib.train_all(logdir)
    return scores, train_lib.diagnose_all(logdir)


def test_the_table_lists_every_case_with_its_truth():
    assert list(ROWS) == [case.name for case in cases_lib.CASES]
    assert {name: row[0] for name, row in ROWS.items()} == {
        case.name: case.truth or "healthy" for case in cases_lib.CASES}
    assert len(cases_lib.CASES) >= 16


def test_the_training_shows_the_truth(trained):
    scores, _ = trained
    for case in cases_lib.CASES:
        score = scores[case.name]["score"]
        if case.truth is None:
            assert score >= case.floor, "%s is healthy by construction but scored %.3f" % (case.name, score)
        elif case.twin is not None:
            twin = scores[case.twin]["score"]
            assert score < twin, "%s scored %.3f, not worse than its twin %s (%.3f)" % (
                case.name, score, case.twin, twin)


@pytest.mark.parametrize("name", list(ROWS))
def test_every_case_gets_the_verdict_of_the_table(trained, name):
    _, runs = trained
    truth, verdict, evidence = ROWS[name]
    result = runs[name]
    assert train_lib.verdict(result) == verdict
    if evidence == NO_FINDING:
        assert result["findings"] == []
    else:
        assert evidence in " | ".join(f["evidence"] for f in result["findings"])
    causes = [f["cause"] for f in result["findings"]]
    assert causes == ([] if truth == "healthy" else [truth]), "verdict %s differs from the truth" % causes
