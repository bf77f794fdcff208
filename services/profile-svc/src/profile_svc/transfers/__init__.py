"""Transfer-away requests (转托管 / 撤销指定): recorded and announced, never refused."""
