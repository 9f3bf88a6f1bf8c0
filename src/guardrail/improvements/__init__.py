"""The continual improvement register: ITIL 4's seven questions, measured from the scoreboard."""
