"""Result roll-ups: FINAL results summed per check x location x time bucket, for the pages."""
