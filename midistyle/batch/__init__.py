"""Corpus-scale jobs: ``midistyle batch harmonize|render|stylize|evaluate INPUTS… -o OUT_DIR``.

``inputs.py`` finds the inputs and their output paths, ``manifest.py`` records each finished input
(so a killed run resumes), ``tasks.py`` is what one worker does to one input (models loaded once
per worker), ``executors.py`` runs tasks in local processes or on Ray actors, and ``runner.py``
ties them together with a progress bar and a summary. It uses the same pipeline as the
single-file commands.
"""
