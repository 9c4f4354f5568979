"""When things happen: dispatch of due tries, completion of tries, the reaper, beat's schedule."""
