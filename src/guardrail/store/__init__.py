"""Engine, sessions and unit of work, the naming convention, the outbox."""
