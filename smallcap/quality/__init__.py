"""The quality gate: Great Expectations suites, reconciliation with a second source, quarantine."""
