-- Recorded in this migration's transaction; the process that maintains the views creates it once it commits.
SELECT deltaview.create_view('customer_totals',
  'SELECT customer, sum(amount) AS total FROM orders GROUP BY customer');
