"""gkreport: Chinese government information-disclosure annual reports to checked records."""

__version__ = "0.1.0"
# Changes whenever extraction output may change; batch work is keyed by it.
PIPELINE_VERSION = "0.1.0"
