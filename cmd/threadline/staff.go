package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/adapters/console"
)

func (c *cli) sayCmd() *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   `say ID "text"`,
		Short: "Write in a conversation's thread: plain text goes to the customer, !commands act, // makes a note",
		Long: `Write in a conversation exactly as if typing in its staff thread:

  threadline say 12 "Thanks, we are looking into it"    reply to the customer
  threadline say 12 "// she is on the legacy plan"      internal note (staff only)
  threadline say 12 '!claim'                            take ownership
  threadline say 12 '!close fixed in 2.4'               close with a reason
  threadline say 12 '!help'                             list commands

(Quote !commands with single quotes in bash and zsh.) Talks to the running daemon.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseConvArg(args[0])
			if err != nil {
				return err
			}
			client, err := c.adminClient()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			res, err := client.Say(ctx, console.SayRequest{Conversation: int64(id), Text: strings.Join(args[1:], " "), As: as})
			if err != nil {
				return err
			}
			switch {
			case res.Error:
				return &exitError{code: 1, err: fmt.Errorf("%s", res.Text)}
			case res.Text != "":
				fmt.Fprintln(c.stdout, res.Text)
			case res.Message != 0:
				fmt.Fprintf(c.stdout, "Stored as message %d in #%d; `threadline watch` shows the delivery receipt.\n", res.Message, res.Conversation)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", defaultStaffName(), "staff name shown to customers and in the audit log (env THREADLINE_STAFF_NAME)")
	return cmd
}

func defaultStaffName() string {
	for _, k := range []string{"THREADLINE_STAFF_NAME", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "staff"
}

func (c *cli) watchCmd() *cobra.Command {
	var only int64
	var once bool
	cmd := &cobra.Command{
		Use:   "watch [ID]",
		Short: "Follow new conversations, messages, state changes and delivery receipts live",
		Long:  "Stream what happens in every conversation (or one, given its ID) until Ctrl-C. Reconnects if the daemon restarts.",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				id, err := parseConvArg(args[0])
				if err != nil {
					return err
				}
				only = int64(id)
			}
			client, err := c.adminClient()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			backoff := time.Second
			for {
				err := client.Watch(ctx, func(e console.Event) error {
					backoff = time.Second
					if only != 0 && e.Conversation != only && e.Type != "hello" {
						return nil
					}
					fmt.Fprintln(c.stdout, console.Format(e))
					return nil
				})
				if ctx.Err() != nil {
					return nil
				}
				if once {
					return err
				}
				fmt.Fprintf(c.stderr, "watch: %v; reconnecting in %s\n", err, backoff)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, 30*time.Second)
			}
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "exit when the connection ends instead of reconnecting")
	return cmd
}
