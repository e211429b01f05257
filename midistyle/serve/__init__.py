"""The local web studio: ``midistyle serve`` (an HTTP API and one page that uses it).

``app.py`` has the routes, ``jobs.py`` the job folders and queue, ``work.py`` what the jobs do (the
pipeline's harmonizer, generator, engraver, renderer and style transfer), ``uploads.py`` the checks
on uploaded files, ``page/`` the page. Nothing here is imported by the rest of the package.
"""
