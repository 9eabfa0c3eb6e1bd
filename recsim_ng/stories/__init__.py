"""Stories: functions that wire entities into the variables of a network."""
