"""One module per API area; ``PipelineClient`` puts an instance of each on itself."""
