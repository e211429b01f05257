"""The yardstick's own calibration: Bach test, Bach train (noise floor) and two bad ceilings.

Every row is one metric measured by ``midistyle.evaluation.report.evaluate_sets`` with the shipped
style classifier; the Fréchet distance is to the Bach test split. Also the classifier's held-out
accuracy from its training report.
"""

from __future__ import annotations

import json


def run(quick: bool = False) -> list[dict]:
    from midistyle.data.chorales import load_chorales
    from midistyle.evaluation.classifier import WEIGHTS_DIR
    from midistyle.evaluation.report import bad_ceilings, evaluate_sets

    test, train = load_chorales("test"), load_chorales("train")
    if quick:
        test, train = test[:8], train[:16]
    table = evaluate_sets({"Bach test": test, "Bach train": train, **bad_ceilings(test, seed=0)})
    rows = [{"metric": metric, **{name: round(values[metric], 3) for name, values in table.items()}}
            for metric in next(iter(table.values()))]
    report = json.loads((WEIGHTS_DIR / "style_classifier_report.json").read_text())
    bach_accuracy = report["test_accuracy_per_class"]["bach_chorale"]
    rows.append({"metric": "classifier test accuracy (all classes / Bach windows)",
                 "Bach test": f"{report['test_accuracy']:.3f} / {bach_accuracy:.3f}"})
    return rows
