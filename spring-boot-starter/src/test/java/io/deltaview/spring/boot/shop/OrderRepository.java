package io.deltaview.spring.boot.shop;

import java.util.List;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/**
 * Orders, with the aggregate the incremental view {@code customer_totals} answers, asked two ways: as a native
 * query (Hibernate sends this SQL as written) and as JPQL (Hibernate renders its own SQL, with its aliases).
 */
public interface OrderRepository extends JpaRepository<Order, Long> {

  /** The view's definition, as the migration V2__customer_totals_view.sql creates it. */
  String VIEW_QUERY = "SELECT customer, sum(amount) AS total FROM orders GROUP BY customer";

  @Query(value = VIEW_QUERY + " ORDER BY customer", nativeQuery = true)
  List<CustomerTotal> totalsByCustomer();

  @Query("select o.customer as customer, sum(o.amount) as total from ShopOrder o group by o.customer"
      + " order by o.customer")
  List<CustomerTotal> totalsByCustomerJpql();

  /**
   * A derived query with paging: Spring Data runs the page's query (Hibernate writes its limit and offset as
   * parameters) and, unless the first page is not full, a count query of the same condition.
   */
  Page<Order> findByCustomer(String customer, Pageable pageable);
}
