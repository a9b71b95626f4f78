package io.deltaview.spring.boot.shop;

import java.math.BigDecimal;

/** One row of the per-customer aggregate: a Spring Data projection. */
public interface CustomerTotal {

  String getCustomer();

  BigDecimal getTotal();
}
