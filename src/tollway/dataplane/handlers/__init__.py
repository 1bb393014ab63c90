"""The REST pipeline's stages, one per module; `tollway.dataplane.pipeline` orders them."""
