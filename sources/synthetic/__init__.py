"""A synthetic municipality that delivers its data the way real source systems do."""
