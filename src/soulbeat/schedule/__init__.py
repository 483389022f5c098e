"""When beats happen: phases and slots, wakes, and the scheduler loop."""
