"""Each sales channel's configuration block, one module per channel; ``api_config`` unions them."""
