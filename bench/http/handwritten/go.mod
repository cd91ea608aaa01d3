module bench/handwritten

go 1.26.0
