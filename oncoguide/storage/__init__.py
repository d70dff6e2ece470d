"""Storage for the service: settings, database models, the encrypted file store and case state.

Used by `api/` and `workers/` only; the pipeline and the CLI never touch it.
"""
