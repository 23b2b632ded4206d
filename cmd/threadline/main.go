// Command threadline is the Threadline daemon and its CLI.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/threadlinehq/threadline/cmd/threadline/internal/termsafe"
)

func main() {
	tuneGC(os.Getenv)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError carries a specific exit code (2 for config problems).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	// An error may quote text from outside (a customer's name in a
	// refusal): it reaches the terminal neutralised, like stdout.
	if errors.As(err, &ee) {
		fmt.Fprintln(stderr, termsafe.String(ee.err.Error()))
		return ee.code
	}
	fmt.Fprintln(stderr, "error:", termsafe.String(err.Error()))
	return 1
}
