-- Shop schema, sample data and the test views' result tables (as CREATE TABLE AS gives them).
CREATE TABLE customers(id int PRIMARY KEY, region text, name text);
CREATE TABLE orders(id int PRIMARY KEY, customer_id int, created_at timestamp, status text, amount numeric(10,2));
CREATE TABLE order_lines(id int PRIMARY KEY, order_id int, product text, qty int, price numeric(10,2));
INSERT INTO customers SELECT g, (ARRAY['eu','us','apac',NULL])[1 + g % 4], 'c' || g FROM generate_series(1, 40) g;
INSERT INTO orders SELECT g, 1 + g % 45, timestamp '2024-01-01' + (g * interval '37 hours'), (ARRAY['paid','open','cancelled'])[1 + g % 3], CASE WHEN g % 17 = 0 THEN NULL ELSE (g * 7 % 1000) / 4.0 END FROM generate_series(1, 300) g;
INSERT INTO order_lines SELECT g, 1 + g % 310, 'p' || (g % 9), 1 + g % 5, (g % 50) + 0.99 FROM generate_series(1, 900) g;
CREATE TABLE revenue_by_region_month AS SELECT c.region, date_trunc('month', o.created_at) AS month, SUM(l.qty * l.price) AS revenue, COUNT(*) AS line_count FROM customers c JOIN orders o ON o.customer_id = c.id JOIN order_lines l ON l.order_id = o.id GROUP BY c.region, date_trunc('month', o.created_at);
CREATE TABLE orders_by_status AS SELECT status, COUNT(*) AS order_count, SUM(amount) AS total, MIN(amount) AS smallest, MAX(amount) AS largest FROM orders GROUP BY status;
CREATE TABLE paid_orders AS SELECT id, customer_id, amount FROM orders WHERE status = 'paid';
CREATE TABLE customer_order_counts AS SELECT c.region, c.name, COUNT(o.id) AS orders FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.region, c.name HAVING COUNT(o.id) < 100;
