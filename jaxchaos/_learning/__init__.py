"""Learning: trainable RNN cells, delayed tasks, gradient flossing (differentiable finite-time
exponents) and the batched trainer."""
