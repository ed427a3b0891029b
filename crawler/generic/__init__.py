"""The generic extractor: article text and metadata from any news page, no outlet parser needed.

* :mod:`crawler.generic.blocks` cuts the page into text blocks in one walk of the tree;
* :mod:`crawler.generic.features` describes each block (and, in a second stage, its neighbourhood);
* :mod:`crawler.generic.extractor` scores the blocks with the trained model in ``block_model.json``
  (trained by ``bench/train_block_model.py``) and keeps the article's;
* :mod:`crawler.generic.metadata` reads title, authors and date from JSON-LD, meta tags and bylines.

:func:`crawler.extraction.generic_fields` and :func:`crawler.extraction.metadata_fallbacks` are
how :func:`crawler.page.analyse_page` uses them.
"""
