package io.deltaview.spring.boot.shop;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The Spring Boot application the starter is tested in: Spring Data JPA over the {@code orders} table that Flyway
 * creates, and a migration that creates the incremental view {@code customer_totals} (src/test/resources).
 */
@SpringBootApplication
public class ShopApplication {
}
