"""Kept for ``scrapyd-deploy`` (scrapyd-client), which builds the Scrapyd egg with ``setup.py bdist_egg``.

Everything, including the ``scrapy`` entry point that tells Scrapyd the settings module, is in
pyproject.toml; without this file scrapyd-deploy would write its own, which knows neither the package
data nor the project name.
"""

from setuptools import setup

setup()
