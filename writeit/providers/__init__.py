"""Model providers: OpenAI, Anthropic, OpenAI-compatible servers, and the offline writer.

SDKs are imported lazily, when a step first needs that provider, so start-up stays fast.
"""
