"""newsarchive: archive news outlets byte for byte in WARC and extract clean article text."""

__version__ = "0.1.0"

from crawler.offline import use_bundled_public_suffix_list

use_bundled_public_suffix_list()
