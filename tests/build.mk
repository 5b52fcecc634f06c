# Unit tests of lib/ (components declare their own next to their code).
$(eval $(call unit_test,mac,,))
