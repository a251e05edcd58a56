"""Local fakes for tests: fake servers on 127.0.0.1 driven through the real clients."""
