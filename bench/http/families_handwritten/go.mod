module bench/families_handwritten

go 1.26.0
