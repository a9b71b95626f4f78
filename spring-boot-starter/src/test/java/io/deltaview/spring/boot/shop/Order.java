package io.deltaview.spring.boot.shop;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.math.BigDecimal;

/** A customer's order. Entity name {@code ShopOrder}: {@code Order} is a JPQL keyword. */
@Entity(name = "ShopOrder")
@Table(name = "orders")
public class Order {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  @Column(nullable = false)
  private String customer;

  @Column(nullable = false, precision = 12, scale = 2)
  private BigDecimal amount;

  protected Order() {
  }

  public Order(String customer, BigDecimal amount) {
    this.customer = customer;
    this.amount = amount;
  }

  public Long getId() {
    return id;
  }

  public String getCustomer() {
    return customer;
  }

  public BigDecimal getAmount() {
    return amount;
  }
}
