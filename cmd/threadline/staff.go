package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"os/user"
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
  threadline say 12                                     write the reply at a prompt; the
                                                        customer sees you typing meanwhile

(Quote !commands with single quotes in bash and zsh.) Talks to the running daemon.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseConvArg(args[0])
			if err != nil {
				return err
			}
			client, err := c.adminClient()
			if err != nil {
				return err
			}
			text := strings.Join(args[1:], " ")
			if len(args) == 1 {
				if text, err = c.compose(cmd.Context(), client, int64(id), as); err != nil {
					return err
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			res, err := client.Say(ctx, console.SayRequest{Conversation: int64(id), Text: text, As: as})
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
	cmd.Flags().StringVar(&as, "as", staffName(os.Getenv, user.Current),
		"staff name shown to customers and in the audit log (default: env THREADLINE_STAFF_NAME, else your OS user name)")
	return cmd
}

// staffName is who a console user is to customers: THREADLINE_STAFF_NAME,
// else the OS user name (without a Windows domain), else $USER or
// $LOGNAME, else "staff".
func staffName(getenv func(string) string, current func() (*user.User, error)) string {
	if v := strings.TrimSpace(getenv("THREADLINE_STAFF_NAME")); v != "" {
		return v
	}
	if u, err := current(); err == nil && u.Username != "" {
		name := u.Username
		if i := strings.LastIndexByte(name, '\\'); i >= 0 {
			name = name[i+1:]
		}
		if name != "" {
			return name
		}
	}
	for _, k := range []string{"USER", "LOGNAME"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return "staff"
}

// compose reads a reply typed at a prompt. While it is being written the
// customer sees "<as> is typing" (refreshed every few seconds); a failure
// to say so never stops the reply.
func (c *cli) compose(ctx context.Context, client *console.Client, conv int64, as string) (string, error) {
	fmt.Fprintf(c.stderr, "Reply to #%d as %s (Enter sends, Ctrl-D cancels):\n> ", conv, as)
	line := make(chan string, 1)
	failed := make(chan error, 1)
	go func() {
		r := bufio.NewReader(c.stdin)
		s, err := r.ReadString('\n')
		if err != nil && strings.TrimSpace(s) == "" {
			failed <- err
			return
		}
		line <- strings.TrimRight(s, "\r\n")
	}()
	tick := time.NewTicker(4 * time.Second)
	defer tick.Stop()
	typing := func() {
		tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_ = client.Typing(tctx, conv, as)
	}
	typing()
	for {
		select {
		case s := <-line:
			if strings.TrimSpace(s) == "" {
				return "", &exitError{code: 1, err: errors.New("nothing written; nothing sent")}
			}
			return s, nil
		case err := <-failed:
			return "", &exitError{code: 1, err: fmt.Errorf("nothing sent: %w", err)}
		case <-tick.C:
			typing()
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
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
