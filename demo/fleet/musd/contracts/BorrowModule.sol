// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";
import "./Interfaces.sol";

/// Over-collateralised mUSD borrowing against one collateral token. Borrows
/// and collateral withdrawals need a fresh oracle price (stale -> revert),
/// as in the runbook's "Oracle Price Feed Stale" impact. Repay stays open
/// while paused so users can always reduce debt.
contract BorrowModule is PausableRoles {
    uint256 public constant BPS = 10000;

    IMUSD public immutable musd;
    IERC20Like public immutable collateralToken;
    IPriceOracle public immutable oracle;
    uint256 public ltvBps = 7500;

    mapping(address => uint256) public collateralOf;
    mapping(address => uint256) public debtOf;
    uint256 public totalDebt;

    event CollateralDeposited(address indexed user, uint256 amount);
    event CollateralWithdrawn(address indexed user, uint256 amount);
    event Borrowed(address indexed user, uint256 amount);
    event Repaid(address indexed user, uint256 amount);

    constructor(address musd_, address collateral_, address oracle_) {
        musd = IMUSD(musd_);
        collateralToken = IERC20Like(collateral_);
        oracle = IPriceOracle(oracle_);
    }

    function maxBorrow(address user) public view returns (uint256) {
        uint256 value = (collateralOf[user] * oracle.getPrice(address(collateralToken))) / 1e18;
        return (value * ltvBps) / BPS;
    }

    function depositCollateral(uint256 amount) external whenNotPaused {
        require(amount > 0, "BorrowModule: zero amount");
        require(collateralToken.transferFrom(msg.sender, address(this), amount), "BorrowModule: transfer failed");
        collateralOf[msg.sender] += amount;
        emit CollateralDeposited(msg.sender, amount);
    }

    function withdrawCollateral(uint256 amount) external whenNotPaused {
        require(collateralOf[msg.sender] >= amount, "BorrowModule: insufficient collateral");
        collateralOf[msg.sender] -= amount;
        require(debtOf[msg.sender] <= maxBorrow(msg.sender), "BorrowModule: undercollateralized");
        require(collateralToken.transfer(msg.sender, amount), "BorrowModule: transfer failed");
        emit CollateralWithdrawn(msg.sender, amount);
    }

    function borrow(uint256 amount) external whenNotPaused {
        require(amount > 0, "BorrowModule: zero amount");
        require(debtOf[msg.sender] + amount <= maxBorrow(msg.sender), "BorrowModule: exceeds LTV");
        debtOf[msg.sender] += amount;
        totalDebt += amount;
        musd.mint(msg.sender, amount);
        emit Borrowed(msg.sender, amount);
    }

    function repay(uint256 amount) external {
        require(amount > 0 && amount <= debtOf[msg.sender], "BorrowModule: bad repay amount");
        musd.burn(msg.sender, amount);
        debtOf[msg.sender] -= amount;
        totalDebt -= amount;
        emit Repaid(msg.sender, amount);
    }
}
