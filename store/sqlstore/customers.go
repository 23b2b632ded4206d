package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// UpsertIdentity returns the customer behind a channel address, creating
// the customer on first contact. A new address whose email matches a known
// customer joins that customer, so history is shared across channels.
func (t *Tx) UpsertIdentity(id bridge.Identity, now time.Time) (bridge.CustomerID, error) {
	var cust bridge.CustomerID
	var name, username, email string
	var unreachable sql.NullString
	err := t.queryRow(`SELECT customer_id, display_name, username, email,
		(SELECT unreachable FROM customers WHERE id = customer_id) FROM customer_identities
		WHERE platform = ? AND address = ?`, id.Platform, id.Address).Scan(&cust, &name, &username, &email, &unreachable)
	switch {
	case err == nil:
		if unreachable.Valid && unreachable.String == "" {
			t.reachable = cust
		}
		if (id.Name != "" && id.Name != name) || (id.Username != "" && id.Username != username) || (id.Email != "" && id.Email != email) {
			_, err = t.exec(`UPDATE customer_identities SET display_name = coalesce(nullif(?, ''), display_name),
				username = coalesce(nullif(?, ''), username), email = coalesce(nullif(?, ''), email), updated_at = ?
				WHERE platform = ? AND address = ?`, id.Name, id.Username, id.Email, ms(now), id.Platform, id.Address)
			if err != nil {
				return 0, fmt.Errorf("update identity: %w", err)
			}
			if _, err := t.exec(`UPDATE customers SET name = ? WHERE id = ? AND name = ''`, id.Name, cust); err != nil {
				return 0, err
			}
			if _, err := t.exec(`UPDATE customers SET email = ? WHERE id = ? AND email = ''`, id.Email, cust); err != nil {
				return 0, err
			}
		}
		return cust, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("find identity: %w", err)
	}
	if id.Email != "" {
		// "email != ''" is the customers_email index's condition: SQLite
		// plans without looking at bound values (stable plans), so the
		// query states it for the index to be used.
		err := t.queryRow(`SELECT id FROM customers WHERE email = ? AND email != '' ORDER BY id LIMIT 1`, id.Email).Scan(&cust)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	if cust == 0 {
		n, err := t.insertID(`INSERT INTO customers (name, email, created_at) VALUES (?, ?, ?)`, id.Name, id.Email, ms(now))
		if err != nil {
			return 0, fmt.Errorf("create customer: %w", err)
		}
		cust = bridge.CustomerID(n)
		t.reachable = cust
	}
	_, err = t.exec(`INSERT INTO customer_identities (platform, address, customer_id, display_name, username, email,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id.Platform, id.Address, cust, id.Name, id.Username, id.Email, ms(now), ms(now))
	if err != nil {
		return 0, fmt.Errorf("create identity: %w", err)
	}
	return cust, nil
}

// SetCustomerUnreachable records why replies cannot reach a customer (” clears it).
// Clearing it for a customer this transaction just found reachable (every
// message a customer sends does) writes nothing.
func (t *Tx) SetCustomerUnreachable(c bridge.CustomerID, reason string) error {
	if reason == "" && c == t.reachable {
		return nil
	}
	if c == t.reachable {
		t.reachable = 0
	}
	_, err := t.exec(`UPDATE customers SET unreachable = ?1 WHERE id = ?2 AND unreachable != ?1`, reason, c)
	return err
}

// Customer loads a customer.
func (s *Store) Customer(ctx context.Context, id bridge.CustomerID) (bridge.Customer, error) {
	var c bridge.Customer
	var created int64
	err := s.queryRow(ctx, `SELECT id, name, email, unreachable, created_at FROM customers WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, &c.Email, &c.Unreachable, &created)
	c.CreatedAt = time.UnixMilli(created)
	return c, notFound(err)
}
