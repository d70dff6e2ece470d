"""Records in, findings out: ingestion, NLP and field extractors. Pure: no web, queue or database."""
