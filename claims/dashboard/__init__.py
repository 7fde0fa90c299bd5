"""What the owner and the therapist see first: the dashboard tiles and the lists behind them."""
