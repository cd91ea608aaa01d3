var keep [][]byte

func Run(ctx context.Context, in Input) (Output, error) {
	for {
		b := make([]byte, 16<<20)
		for i := range b {
			b[i] = byte(i)
		}
		keep = append(keep, b)
	}
}
