"""What every flow shares: models, configuration, store, pipeline. Imports no connector and no mapping."""
