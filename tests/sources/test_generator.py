import hashlib
import json

from sources import employment
from sources.synthetic import events
from sources.synthetic.municipality import generate


def digest(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_municipality_other_seed_another(tmp_path):
    first = generate(tmp_path / "a", "demo", seed=7)
    generate(tmp_path / "b", "demo", seed=7)
    generate(tmp_path / "c", "demo", seed=8)
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    assert a.keys() == c.keys() and a != c
    # 24 months x (3 population + 2 employment + 4 children_youth) files, 2 yearly exams and
    # statistics, 3 health records a month, the housing database, truth and CPR list.
    assert len(a) == 24 * 9 + 2 * 2 + 24 * 3 + 3
    truth = json.loads((tmp_path / "a" / "ground_truth.json").read_text())
    assert truth["injections"] == first["injections"]
    assert first["residents_last_month"] > 4_000 and first["areas"] == 6


def test_the_generator_writes_only_the_contracts_values():
    assert set(events.YOUTH_STATUS) == set(employment.YOUTH_STATUS)
    assert set(events.OUTSIDE_BENEFITS) <= set(employment.BENEFIT_TYPES)
