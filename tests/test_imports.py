import subprocess
import sys

LIGHT_MODULES = ["midistyle", "midistyle.music", "midistyle.music.pianoroll", "midistyle.cli",
                 "midistyle.data.chorales", "midistyle.music.tokens", "midistyle.audio.render",
                 "midistyle.audio.batch", "midistyle.audio.transcribe", "midistyle.audio.onset_network",
                 "midistyle.models.onset_training", "midistyle.music.metrics", "midistyle.evaluation",
                 "midistyle.evaluation.report", "midistyle.audio.metrics", "midistyle.audio.pairs"]


def test_symbolic_layer_does_not_import_tensorflow():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in LIGHT_MODULES)
            + "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1].split() == ["False", "False"]
